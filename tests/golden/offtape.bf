OFFTAPE ::: a program that moves off the left end of the tape

+++>++#>+<<<<<
