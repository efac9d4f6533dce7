#!/bin/sh
echo "mailserver starting"
