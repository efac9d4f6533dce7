# One Dockerfile per layer, one image per variant: the CUDA variant of each layer is the same
# Dockerfile with other args (upstream: ROOT_IMAGE=nvidia/cuda:12.4.1-runtime-ubuntu22.04).
#   docker buildx bake              # every variant
#   docker buildx bake runtime-cuda # one

variable "REGISTRY" {
  default = "registry.example.com/ml"
}

variable "TAG" {
  default = "latest"
}

group "default" {
  targets = ["foundation", "runtime"]
}

target "foundation" {
  name    = "foundation-${variant}"
  matrix  = { variant = ["cpu", "cuda"] }
  context = "images/foundation"
  args = {
    VARIANT      = variant
    CUDA_VERSION = variant == "cuda" ? "12.4" : "none"
  }
  tags = ["${REGISTRY}/foundation-${variant}:${TAG}"]
}

target "runtime" {
  name    = "runtime-${variant}"
  matrix  = { variant = ["cpu", "cuda"] }
  context = "images/runtime"
  args = {
    BASE_IMAGE = "${REGISTRY}/foundation-${variant}:${TAG}"
  }
  tags = ["${REGISTRY}/runtime-${variant}:${TAG}"]
}
