target "a" {
  context = "."
}
