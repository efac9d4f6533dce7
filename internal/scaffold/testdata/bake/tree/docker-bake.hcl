variable "REGISTRY" {
  default = "cr.example.net/ml"
}

group "default" {
  targets = ["base", "api", "foundation"]
}

target "base" {
  context = "docker/base"
  tags    = ["${REGISTRY}/base:dev"]
}

target "api" {
  context  = "app/api"
  contexts = { base_img = "target:base", lib = "lib" }
  tags     = ["${REGISTRY}/api:dev"]
}

target "foundation" {
  name    = "foundation-${variant}"
  matrix  = { variant = ["cpu", "cuda"] }
  context = "images/foundation"
  args    = { VARIANT = variant }
  tags    = ["${REGISTRY}/foundation-${variant}:dev"]
}
