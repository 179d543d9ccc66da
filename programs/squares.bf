SQUARES ::: print the squares of 1 to 100 without multiplying

What it does
  Prints 100 lines of the form  12 x 12 = 144  for n from 1 to 100

Input
  None

How it works
  The odd numbers add up to the squares: 1 then 1 plus 3 = 4 then 4 plus
  5 = 9 and so on; so the square goes up by 2n minus 1 at step n; the
  odd step o is an ordinary cell (it never goes past 199) and is added
  to the square one unit at a time

  Both n and its square are kept as rows of decimal digits (lowest digit
  first; five cells per digit) like in the wc and primes programs:
       m   1 once the slot is in use (the slot left of the first has m = 0)
       k   "add one here" request
       d   the digit
       t0  t1  helpers for the "did the digit reach ten" test
  Adding one puts a request in the lowest slot; a digit that reaches ten
  becomes zero and passes the request on; then a loop stepping five cells
  left over the m markers brings us back to the zero marker
  Printing finds the highest used slot and walks down printing digits

Memory
  cell 0  steps still to do (100)    cell 4  32 (space)
  cell 1  o the odd step             cell 5  scratch
  cell 2  adds still to do           cells 10 on  digits of n
  cell 3  scratch for copying        cells 40 on  digits of the square

>>>>>++++++++[<++++>-]              cell 4 = 32 (space)
<<<<++++++++++[<++++++++++>-]       cell 0 = 10 times 10 = 100 (cell 1 counts)
+                                   o = 1 (cell 1)
<[                                  for each step
  -                                 one step less
  >>>>>>>>>>                        go to the zero marker of n
  >>>>>>+                           request one more at the lowest slot
  [<[-]+>-                          while a slot has a request: mark it used
    >+----------                    digit plus one; minus 10 tests for ten
    >+<[++++++++++>-]               not ten: undo the minus 10
    >[>>>+<<<->]                    ten: digit is zero; request at next slot
    <<>>>>]                         go to the next slot
  <<<<<<[<<<<<]                     walk back to the zero marker
  <<<<<<<<<<                        and come back
  >>>>>>>>>>                        go to the zero marker of n
  >>>>>[>>>>>]<<<<<                 find the highest used slot
  [>>>++++++[<++++++++>-]<.         print its digit (plus 48 for the character)
   >++++++[<-------->-]<<<<<<<<]    take the 48 off again; one slot down
  <<<<<<<<<<                        and come back
  >>>>.                             space
  >++++++++[<+++++++++++>-]<.       x (cell 4 = 32 plus 8 times 11 = 120)
  >++++++++[<----------->-]<.       space again
  <<<<                              back to cell 0
  >>>>>>>>>>                        go to the zero marker of n
  >>>>>[>>>>>]<<<<<                 find the highest used slot
  [>>>++++++[<++++++++>-]<.         print its digit (plus 48 for the character)
   >++++++[<-------->-]<<<<<<<<]    take the 48 off again; one slot down
  <<<<<<<<<<                        and come back
  >>>>.                             space
  +++++++++++++++++++++++++++++.    equals sign (61)
  -----------------------------.    space
  <<<                               at o (cell 1)
  [->+>+<<]>>[-<<+>>]<              adds to do (cell 2) = o
  [                                 repeat o times
    -                               one add less
    >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>
                                    go to the zero marker of the square
    >>>>>>+                         request one more at the lowest slot
    [<[-]+>-                        while a slot has a request: mark it used
      >+----------                  digit plus one; minus 10 tests for ten
      >+<[++++++++++>-]             not ten: undo the minus 10
      >[>>>+<<<->]                  ten: digit is zero; request at next slot
      <<>>>>]                       go to the next slot
    <<<<<<[<<<<<]                   walk back to the zero marker
    <<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    and come back
  ]
  <++                               next odd step
  <                                 cell 0
  >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>
                                    go to the zero marker of the square
  >>>>>[>>>>>]<<<<<                 find the highest used slot
  [>>>++++++[<++++++++>-]<.         print its digit (plus 48 for the character)
   >++++++[<-------->-]<<<<<<<<]    take the 48 off again; one slot down
  <<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    and come back
  >>>>>++++++++++.[-]<<<<<          newline (cell 5)
]
