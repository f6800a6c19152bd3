echo test 4
