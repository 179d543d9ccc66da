TAPEDUMP ::: what the hash command shows with the debug option

What it does
  Prints Hi and a newline; along the way it dumps the tape with the hash
  command; which is a comment unless jitbf runs with the debug option
  (then each hash writes the pointer and the cells around it to standard
  error; see tests/instrument_golden)

How it works
  Cell 1 gets 72 (H) by a multiply loop; a dump after it shows cell 0
  cleared and the pointer on cell 1; then 3 moves from cell 2 to cell 3
  in a loop with a dump at the end of each pass; cell 3 adds 3 and moves
  back into cell 2 (a dump shows 6 there); cell 1 becomes 105 (i); cell 4
  gets 10 (newline) and the last dump shows the tape at the end

Cells: 0 counter; 1 letter; 2 and 3 small counters; 4 newline

++++++++[>+++++++++<-]>#
.
>+++[>+<-#]
>+++[-<+>]<#
<+++++++++++++++++++++++++++++++++.
>>>++++++++++.#
