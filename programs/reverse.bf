REVERSE ::: print every line of the input backwards

What it does
  Reads the input one line at a time and prints each line reversed
  (the newline stays at the end of the line); stops at end of input
  A last line without a newline is reversed and printed without one

Input
  Lines of text (the bytes of a line are reversed one by one; so text
  with multi byte UTF8 characters would come out garbled)

How it works
  Each byte of the line is stored in its own three cell slot:
       c   the byte
       f   a scratch copy of c
       t   "keep reading" flag: 1 unless c is zero (end of input) or 10
  The first slot starts at cell 3; the slot at cell 0 is a sentinel whose
  c cell is always zero; so walking left three cells at a time over the
  stored bytes stops there

  After the line is read we walk back over it printing and clearing each
  byte; the last byte read (a newline or a zero for end of input) is
  carried along in the f cells of the slots as we go; it arrives in
  cell 1 and tells us whether to print a newline and read another line

Memory
  cell 0       always zero (left end marker)
  cell 1       the carried line ending (10 or 0); loop flag for lines
  cell 2       scratch
  cells 3 4 5  first slot (c f t) and so on to the right

>+                                  cell 1 = 1 so the first line is read
[                                   once per line
  [-]                               clear the line ending flag
  >>                                go to the first slot (cell 3)

  read the line
  ,                                 read a byte into c
  [->+>+<<]>>[-<<+>>]<              copy c into f (t used as temporary)
  [----------[++++++++++[-]>+<]]>   if f minus 10 is not zero (and f was
                                    not zero) then set t; f ends cleared
  [                                 while t is set
    -                               clear t
    >,                              read the next byte into the next slot
    [->+>+<<]>>[-<<+>>]<            copy it into f
    [----------[++++++++++[-]>+<]]> and set t unless it ends the line
  ]
                                    we are on t of the last slot; its c
                                    holds 10 (newline) or 0 (end of input)
  <<[-<<+>>]                        move that ending into f of the slot
                                    to the left (where the carry starts)
  <<<                               go to c of the previous slot
  [                                 while c is a real byte
    .[-]                            print it and clear it
    >[-<<<+>>>]                     carry the line ending one slot left
    <<<<                            go to c of the slot to the left
  ]                                 stops at the sentinel (cell 0)

  >                                 cell 1 holds the line ending
  [.[->+<]]>[-<+>]<                 print it if it is a newline (keeping
                                    its value by parking it in cell 2)
]                                   repeat if it was a newline
