SIERPINSKI ::: draw a Sierpinski triangle with a cellular automaton

What it does
  Prints 32 lines of 63 characters (stars and spaces) that form the
  Sierpinski triangle

Input
  None

How it works
  A row of 63 cells each alive (1) or dead (0) starts with only the middle
  cell alive; every new row follows "rule 90": a cell is alive when
  exactly one of its two neighbours in the row above was alive (the
  cells beyond both ends count as dead); printing alive as a star and
  dead as a space draws the triangle

  Every cell of the row is a five cell slot
       m   1 for the 63 real slots (0 for the slots just outside the row)
       v   the value printed in this row
       n   the value for the next row
       t0  t1  helpers
  Two loops walk along the row five cells at a time and stop at the
  empty slot after the last one; a walk left stops at the empty slot in
  front of the first; so the pointer always finds its way home

  Printing pass (for each slot): v takes the value of n; t0 becomes 32
  (space) plus 10 if v is 1 (42 is a star); t0 is printed and cleared
  Next row pass (for each slot): n = left neighbour v plus right
  neighbour v (copied through t0 so the neighbours keep their values);
  then n is reduced to 0 if it is 2 (two live neighbours): take 2 away;
  with t0 = 1 a loop on n adds the 2 back and clears t0 (it is left on
  t0); a loop on t0 only runs if n was 2 and so is 0 now; it just clears
  t0 and ends on t1; both paths step back to n

Memory
  cell 0          rows still to print
  cells 1 to 5    the empty slot in front of the row (cell 1 is its m)
  cells 6 to 320  the 63 slots of the row
  cells 321 on    the empty slot after the row

>++++[<++++++++>-]<                 cell 0 = 32 rows
>>>>>>>>>>                          go to t1 of the first slot (cell 10)
+++++++++++++++++++++++++++++++     mark 31 slots as real:
[-[->>>>>+<<<<<]<<<<+>>>>>>>>>]     count down; move the count to the next slot; m = 1
<<<<+>>+                            the middle slot: m = 1 and n = 1 (alive in the first row)
>>>>>>>                             go to t1 of the next slot
+++++++++++++++++++++++++++++++     and 31 more real slots
[-[->>>>>+<<<<<]<<<<+>>>>>>>>>]
<<<<<<<<<[<<<<<]<                   walk back to cell 0

[                                   for each row
  ->>>>>>                           one row less; go to the first slot
  [                                 printing pass: for each slot
    >[-]                            clear v
    >[-<+>>>+<<]                    move n into v and into t1
    >>[-<++++++++++>]               if it was 1 then t0 gets 10
    ++++[<++++++++>-]<              and t0 gets 32 more
    .[-]                            print star or space
    <<<>>>>>                        next slot
  ]
  >>>++++++++++.[-]<<<              newline (in t0 of the empty slot)
  <<<<<[<<<<<]                      walk back to cell 1
  >>>>>                             first slot
  [                                 next row pass: for each slot
    <<<<[->>>>>>+>+<<<<<<<]         left neighbour v goes into n and t0
    >>>>>>>[-<<<<<<<+>>>>>>>]       and t0 goes back into the neighbour
    >>>[-<<<<+>+>>>]                right neighbour v goes into n and t0
    <<<[->>>+<<<]                   and t0 goes back into the neighbour
    <--                             n minus 2
    >+<[++>-]>[->]<<                not zero: add the 2 back
    <<>>>>>                         next slot
  ]
  <<<<<[<<<<<]<                     walk back to cell 0
]
