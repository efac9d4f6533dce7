#!/bin/sh
echo "app up"
