EOFMODE ::: report what happens when reading past the end of input

What it does
  Sets a cell to 5 and reads one byte into it with the input already
  exhausted (run it with empty input); then prints one word and a newline:
    unchanged    the cell still holds 5 (the convention jitbf uses)
    zero         the cell was set to 0
    max          the cell was set to something else (normally all ones;
                 that is 255 with 8 bit cells)

Input
  Empty (if there is input the first byte is read instead and the answer
  will be meaningless)

How it works
  Two nested "if x then A else B" tests; the outer one looks at x minus 5
  and uses helper cells 1 and 2; the inner one looks at x itself and
  uses helper cells 3 and 6 (three cells apart; because cell 1 is still
  in use by the outer test); x itself is never counted down to zero in a
  loop; so even a 32 bit all ones value is handled instantly
  Letters are made from a base value of 100 in cell 8

Memory
  cell 0  x      cell 3  inner helper t0     cell 8  letters
  cell 1  t0     cell 6  inner helper t1     cell 9  scratch
  cell 2  t1

+++++                               x = 5
,                                   read at end of input
-----                               x minus 5
>+<                                 outer t0 = 1
[                                   x minus 5 is not zero: x was changed
  +++++                             undo the minus 5
  >>>+<<<                           inner t0 (cell 3) = 1
  [                                 x is not zero: the max convention
    >>>>>>>>>++++++++++[<++++++++++>-]<     cell 8 = 100
    +++++++++.                      m  109
    ------------.                   a   97
    +++++++++++++++++++++++.        x  120
    [-]++++++++++.[-]               newline
    <<<<<<<<                        back to x
    >>>-                            clear inner t0 (leaves this branch)
  ]
  >>>[                              x is zero: the zero convention
    >>>>>>++++++++++[<++++++++++>-]<        cell 8 = 100
    ++++++++++++++++++++++.         z  122
    ---------------------.          e  101
    +++++++++++++.                  r  114
    ---.                            o  111
    [-]++++++++++.[-]               newline
    <<<<<                           back to inner t0
    ->>>                            clear it and leave on cell 6
  ]
  <<<<<<                            back to x
  >-                                clear outer t0 (leaves this branch)
]
>[                                  x minus 5 is zero: unchanged
  >>>>>>>>++++++++++[<++++++++++>-]<        cell 8 = 100
  +++++++++++++++++.                u  117
  -------.                          n  110
  -----------.                      c   99
  +++++.                            h  104
  -------.                          a   97
  +++++++++++++.                    n  110
  -------.                          g  103
  --.                               e  101
  -.                                d  100
  [-]++++++++++.[-]                 newline
  <<<<<<<                           back to outer t0
  ->                                clear it and leave the branch
]
