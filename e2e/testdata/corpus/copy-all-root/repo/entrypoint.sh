#!/bin/sh
# Migrations, then the command (python manage.py migrate upstream).
exec "$@"
