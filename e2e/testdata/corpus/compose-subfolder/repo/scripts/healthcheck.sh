#!/bin/sh
# Exits 0 when the service answers; the real one calls curl.
exit 0
