from acme.log import log

def main():
    log("api listening")

if __name__ == "__main__":
    main()
