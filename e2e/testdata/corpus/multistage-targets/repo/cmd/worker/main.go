package main

func main() { println("worker") }
