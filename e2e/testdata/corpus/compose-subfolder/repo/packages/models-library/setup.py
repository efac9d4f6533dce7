from setuptools import setup

setup(name="models-library", version="0.9.0")
