print("director")
