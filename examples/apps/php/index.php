<?php
// A PHP page served by php-cgi under Pm. php-cgi is a FastCGI app when its fd 0 is a socket.
header('Content-Type: text/plain; charset=utf-8');
echo "Hello from PHP ", PHP_VERSION, " in php-cgi pid ", getmypid(), "\n";
echo "SCRIPT_NAME=", $_SERVER['SCRIPT_NAME'] ?? '', " PATH_INFO=", $_SERVER['PATH_INFO'] ?? '', " QUERY_STRING=", $_SERVER['QUERY_STRING'] ?? '', "\n";
if (($_SERVER['REQUEST_METHOD'] ?? '') === 'POST') {
    echo "POST body: ", strlen(file_get_contents('php://input')), " bytes\n";
}
