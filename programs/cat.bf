CAT ::: copy standard input to standard output

What it does
  Reads bytes one at a time and writes each one straight back out until
  the input runs out

Input
  Any bytes (text or UTF8 or binary); it stops at end of input

How it works
  jitbf leaves a cell unchanged when the read command hits end of input;
  so we clear the cell before every read: if the read finds nothing the
  cell stays zero and the loop stops

  Caveat: a zero byte inside the input looks exactly like end of input
  here; so the copy stops early at the first zero byte (text never
  contains one)

,                 read the first byte into cell 0 (it is still zero if
                  the input is empty because cells start at zero)
[                 while the cell is not zero
    .             write it out
    [-]           clear the cell
    ,             read the next byte (the cell stays zero at the end)
]
