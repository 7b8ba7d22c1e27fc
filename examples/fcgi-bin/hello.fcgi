#!/bin/sh
# A dynamic app for the demo (PmDynamicRoot /fcgi-bin/ in examples/conf/demo.conf): the published C# Hello app,
# started by the PM on the first request to /fcgi-bin/hello.fcgi, with its listening socket on fd 0.
exec "$(dirname "$0")/../bin/hello/hello" "$@"
