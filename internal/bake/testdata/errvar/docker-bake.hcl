variable "TAG" {}

target "a" {
  tags = ["acme/a:${TAG}", "acme/a:${BUILD}"]
  args = { X = upper(1, 2) }
}
