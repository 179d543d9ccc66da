CELLSIZE ::: find out how many bits a memory cell holds

What it does
  Prints 8 or 16 or 32 (and a newline) depending on the cell width of
  the interpreter; cells are assumed to wrap around (so adding one to the
  largest value gives zero)

Input
  None

How it works
  Counting up one at a time until a cell wraps would take billions of
  steps with 32 bit cells; instead we multiply:
    x = 16 times 16 = 256     which is 0 if cells have 8 bits
    y = x times x = 65536     which is 0 if cells have 16 bits
  If neither is zero the cells are (at least) 32 bits wide

  Each decision uses the "if x then A else B" idiom with two helper
  cells to the right of the value: t0 (set to 1) and t1 (zero)

Memory
  cell 0  loop counter       cell 6  y
  cell 1  x                  cell 7  helper t0 for y
  cell 2  helper t0 for x    cell 8  helper t1 for y
  cell 3  helper t1 for x    cell 9  the character to print
  cell 4  a (copy of x)      cell 10 scratch
  cell 5  b (scratch)

++++++++++++++++[>++++++++++++++++<-]>   x = 16 times 16 (pointer at x)
>+<                                 set t0 of x
[                                   x is not zero: at least 16 bits
  [->>>+>+<<<<]>>>>[-<<<<+>>>>]<<<< copy x into a (b is the temporary)
  [->>>[->>+<+<]>[-<+>]<<<<]        y = x times a: for each unit of x add
                                    a into y (b holds a meanwhile)
  >>>[-]                            clear a
  >>>+<                             set t0 of y and stand on y
  [                                 y is not zero: 32 bits
    >>>>+++++[<++++++++++>-]<       cell 9 = 50 (the digit two)
    +.-.                            print 3 and 2
    [-]++++++++++.[-]               print a newline
    <<<                             back to y
    >-                              clear t0 of y (leaves this branch)
  ]
  >[                                y is zero: 16 bits
    >>>+++++[<++++++++++>-]<        cell 9 = 50
    -.+++++.                        print 1 and 6
    [-]++++++++++.[-]               print a newline
    <<                              back to t0 of y
    ->                              clear it and leave the branch
  ]
  <<<<<<<                           back to x
  >-                                clear t0 of x (leaves this branch)
]
>[                                  x is zero: 8 bits
  >>>>>>>>+++++[<++++++++++>-]<     cell 9 = 50
  ++++++.                           print 8
  [-]++++++++++.[-]                 print a newline
  <<<<<<<                           back to t0 of x
  ->                                clear it and leave the branch
]
