echo test 5
