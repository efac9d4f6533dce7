export PATH=/opt/pycroft/venv/bin:$PATH
