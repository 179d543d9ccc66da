COUNTER ::: print the numbers 0 to 255 in decimal (one per line)

What it does
  Prints 0 then 1 then 2 and so on up to 255; each number on its own line

Input
  None

How it works
  No arithmetic on whole numbers is needed: the digits are kept as ready
  to print characters (the digit zero is byte 48 and nine is 57) and the
  nested loops count the way an odometer does; the numbers are printed
  in four groups so that no leading zeros ever appear:
     0 to 9        one digit:    units loop
     10 to 99      two digits:   tens loop (9 times) around a units loop
     100 to 199    three digits: tens loop (10 times) around a units loop
     200 to 255    three digits: 5 full tens then a short run up to 255
  After ten steps a units digit has gone past nine (to byte 58) and is
  pulled back to zero by taking away 10

Memory
  cell 0   10 (newline)
  cell 1   hundreds digit character
  cell 2   tens digit character
  cell 3   units digit character
  cell 4   tens loop counter
  cell 5   units loop counter
  cell 6   scratch

++++++++++                          cell 0 = newline
>>>>>>++++++++[<<<<<++++++>++++++>++++++>>>-]
                                    cells 1 2 3 = 48 (the digit zero)
                                    pointer at cell 6

Group 1: 0 to 9
<++++++++++                         units counter (cell 5) = 10
[<<.<<<.>>>+>>-]                    print units digit and newline; next digit
<<----------                        units digit back to zero

Group 2: 10 to 99
<+                                  tens digit = 1
>>+++++++++                         tens counter (cell 4) = 9
[
  >++++++++++                       units counter = 10
  [<<<.>.<<<.>>>+>>-]               print tens and units and newline
  <<----------                      units digit back to zero
  <+                                next tens digit
  >>-                               count down the tens loop
]
<<----------                        tens digit back to zero (it was past nine)

Group 3: 100 to 199
<+                                  hundreds digit = 1
>>>++++++++++                       tens counter = 10
[
  >++++++++++                       units counter = 10
  [<<<<.>.>.<<<.>>>+>>-]            print hundreds and tens and units and newline
  <<----------                      units digit back to zero
  <+                                next tens digit
  >>-                               count down the tens loop
]
<<----------                        tens digit back to zero
<+                                  hundreds digit = 2

Group 4: 200 to 255
>>>+++++                            tens counter = 5 (200 to 249)
[
  >++++++++++
  [<<<<.>.>.<<<.>>>+>>-]
  <<----------
  <+
  >>-
]
>++++++                             units counter = 6 (250 to 255)
[<<<<.>.>.<<<.>>>+>>-]
