#!/bin/sh
# Dumps one table; the real one runs pg_dump.
echo "dump $1"
