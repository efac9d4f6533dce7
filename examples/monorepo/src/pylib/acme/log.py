def log(msg):
    print("[acme]", msg)
