group "default" {
  targets = ["image-local", "image-all"]
}

target "image-local" {
  context = "app"
  tags    = ["registry:local"]
}

target "image-all" {
  inherits  = ["image-local"]
  platforms = ["linux/amd64", "linux/arm64"]
}
