DEBUG = False
INSTALLED_APPS = ["apps.routes"]
