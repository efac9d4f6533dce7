target "b" {
  context = "."
  tags = ["x"
}
