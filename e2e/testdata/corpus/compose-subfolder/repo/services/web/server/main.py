print("webserver")
