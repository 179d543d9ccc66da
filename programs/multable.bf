MULTABLE ::: print the 9 by 9 multiplication table

What it does
  Prints nine lines; line i holds i times 1 up to i times 9; every number
  is right aligned in a column three characters wide

Input
  None

How it works
  Row i starts from zero and adds i nine times; the running value is
  kept as two decimal digits T (tens) and U (units) so no division is
  ever needed: adding i means adding one to U i times; when U reaches
  ten it drops to zero and T goes up by one (the largest value is 81)

  Printing a digit adds 48 (the character 0) using the cell to its right
  as a loop counter (6 times 8) and takes it away again afterwards
  A tens digit of zero is printed as a space

  Tests use the "if x then A else B" idiom with two helper cells right
  of x: t0 (set to 1) and t1 (zero); a loop on x that runs A and clears
  t0 is left on t0; a loop on t0 that runs B only happens if A did not;
  both paths end on t1 and step back to x

Memory
  cell 0  rows still to print     cell 7   T tens digit
  cell 1  i the row number        cell 8   helper for T
  cell 2  columns still to print  cell 9   helper for T
  cell 3  r adds still to do      cell 10  32 (space)
  cell 4  U units digit           cell 11  10 (newline)
  cell 5  helper for U            cell 12  scratch
  cell 6  helper for U

>>>>>>>>>>>>++++++++[<<++++>+>-]<++ space and newline (8 times 4 and 8 times 1 plus 2)
<<<<<<<<<<<+++++++++                nine rows
[                                   for each row
  >+                                i plus one
  >+++++++++                        nine columns
  [                                 for each column
    <[->>+>>+<<<<]>>>>[-<<<<+>>>>]<<
                                    copy i into r (cell 5 as temporary)
    [                               repeat r times
      ->+                           U plus one
      ---------->+<[++++++++++>-]   if U minus 10 is not zero undo it
      >[>>+<<->]<<                  else U is now 0 and T goes up
      <]                            back to r
    >>>>>>>.                        print a space (cell 10)
    <<<                             at T
    >+<[>-<>++++++[<++++++++>-]<.>++++++[<-------->-]<>]
                                    T is not zero: print it
    >[>>.<<->]<<                    T is zero: print a space instead
    <<<>++++++[<++++++++>-]<.>++++++[<-------->-]<
                                    print U
    <<-                             one column less
  ]
  >>>>>>>>>.                        newline (cell 11)
  <<<<[-]<<<[-]                     T and U back to zero
  <<<<-                             one row less
]
