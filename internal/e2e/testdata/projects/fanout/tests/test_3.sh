echo test 3
