from dl_core import VERSION

print("api", VERSION)
