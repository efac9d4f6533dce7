group "default" {
  targets = ["a", "b"]
}

target "common" {}

target "a" {
  inherits = ["comon"]
  context = "base"
  contexts = { base = "target:nope" }
}
