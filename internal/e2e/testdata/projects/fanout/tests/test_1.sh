echo test 1
