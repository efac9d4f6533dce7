import os


def settings():
    return {"log_level": os.environ.get("LOG_LEVEL", "info")}
