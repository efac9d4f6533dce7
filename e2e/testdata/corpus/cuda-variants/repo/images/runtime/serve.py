import os

print("serving on", "cuda " + os.environ["CUDA_VERSION"] if os.environ.get("CUDA_VERSION") else "cpu")
