echo test 2
