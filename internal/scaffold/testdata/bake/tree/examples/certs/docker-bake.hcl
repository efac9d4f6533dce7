target "certs" {
  output = ["./.certs"]
}
