from setuptools import setup

setup(name="simcore-service-webserver", version="0.9.0", install_requires=["models-library"])
