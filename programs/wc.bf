WC ::: count lines and words and bytes of the input

What it does
  Reads the whole input and prints three numbers in decimal separated by
  spaces and followed by a newline:  lines  words  bytes  (like the Unix
  tool wc); lines are counted as newline bytes; a word is a run of bytes
  that are not blanks (space or tab or newline or carriage return)

Input
  Any text; it stops at end of input (or at a zero byte)

How it works
  Numbers can grow past 255; so each count is kept as a row of decimal
  digits; one digit per five cell slot; the lowest digit first:
       m   1 once the slot is in use (the slot left of digit 0 has m = 0)
       k   "add one here" request (a carry)
       d   the digit 0 to 9
       t0  t1  helpers for the if test
  Adding one sets k of the lowest slot; each slot with a request adds
  one to its digit; a digit that reaches ten becomes zero and passes the
  request to the next slot; the used markers let us walk back to the
  left end after any number of carries; printing finds the highest used
  slot and walks down printing each digit

  The byte is sorted out by taking 9 then 1 then 3 then 19 away from a
  copy; if the copy is zero after a step the byte was tab (9) or newline
  (10) or carriage return (13) or space (32); newline also adds one to
  the line count

  Each test uses the "if x is zero" idiom: with t0 right of x set to 1
  and t1 right of t0 zero; a loop on x clears t0 (and is left at t0);
  then a loop on t0 does the work only if that did not happen; both
  paths end on t1 and step back to x

  A word starts at a byte that is not blank while the flag w (we are in
  a word) is clear; a blank clears w

Memory
  cell 0  c the byte read     cell 4  s is blank    cell 7  w in a word
  cell 1  x copy of c         cell 5  helper        cell 8  helper
  cell 2  t0 helper           cell 6  helper        cell 9  helper
  cell 3  t1 helper
  cells 10 to 54   byte count digits (cell 10 is its left marker)
  cells 55 to 99   word count digits
  cells 100 on     line count digits
>>>>>>>>>>>>>>>+                    mark the lowest digit of each count as used
>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>+
                                    so that an empty input prints 0 0 0
>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>+
<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    back to cell 0

,                                   read the first byte
[                                   for each byte
  >>>>>>>>>>                        go to the byte count (its zero marker)
  >>>>>>+                           request plus one at the lowest digit
  [<[-]+>-                          while a digit must go up: mark the slot used
    >+----------                    digit plus one; then minus 10 to test for ten
    >+<[++++++++++>-]               not ten: undo the minus 10
    >[>>>+<<<->]                    ten: digit stays 0; carry into next slot
    <<>>>>]                         go to the next slot
  <<<<<<[<<<<<]                     walk back to the zero marker
  <<<<<<<<<<                        and come back

  [->+>+<<]>>[-<<+>>]<<             copy c into x (t0 as temporary)
  >                                 at x
  ---------                         x minus 9
  >+<[>-]>[>>+<<->]<<               tab: set s
  -                                 x minus 10
  >+<[>-]>[                         newline:
    >>+<<                           set s
    >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>
                                    go to the line count (its zero marker)
    >>>>>>+                         request plus one at the lowest digit
    [<[-]+>-                        while a digit must go up: mark the slot used
      >+----------                  digit plus one; then minus 10 to test for ten
      >+<[++++++++++>-]             not ten: undo the minus 10
      >[>>>+<<<->]                  ten: digit stays 0; carry into next slot
      <<>>>>]                       go to the next slot
    <<<<<<[<<<<<]                   walk back to the zero marker
    <<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    and come back
  ->]<<                             count a line
  ---                               x minus 13
  >+<[>-]>[>>+<<->]<<               carriage return: set s
  -------------------               x minus 32
  >+<[>-]>[>>+<<->]<<               space: set s
  ++++++++++++++++++++++++++++++++[-]
                                    x back to c (never negative) and cleared

  >>>                               at s
  >+<[[-]>>>[-]<<< >-]              blank: clear s and w
  >[                                not blank:
    >>                              at w
    >+<[>-]>[                       not in a word yet:
      <+>                           set w
      >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>
                                    go to the word count (its zero marker)
      >>>>>>+                       request plus one at the lowest digit
      [<[-]+>-                      while a digit must go up: mark the slot used
        >+----------                digit plus one; then minus 10 to test for ten
        >+<[++++++++++>-]           not ten: undo the minus 10
        >[>>>+<<<->]                ten: digit stays 0; carry into next slot
        <<>>>>]                     go to the next slot
      <<<<<<[<<<<<]                 walk back to the zero marker
      <<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    and come back
    ->]<<                           count a word
    <<->]<<                         back to the helper of s and leave
  <<<<                              back to c
  [-],                              clear c and read the next byte
]

Print  lines  words  bytes  and a newline
>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>
                                    go to the line count (its zero marker)
>>>>>[>>>>>]<<<<<                   find the highest used slot
[>>>++++++[<++++++++>-]<.           print its digit (plus 48 for the digit character)
 >++++++[<-------->-]<<<<<<<<]      take the 48 off again; move one slot down
<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    and back to cell 0
>>++++++++[<++++>-]<.               space (cell 1 = 32)
>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>
                                    go to the word count (its zero marker)
>>>>>[>>>>>]<<<<<                   find the highest used slot
[>>>++++++[<++++++++>-]<.           print its digit (plus 48 for the digit character)
 >++++++[<-------->-]<<<<<<<<]      take the 48 off again; move one slot down
<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    and back to cell 1
.                                   space
>>>>>>>>>                           go to the byte count (its zero marker)
>>>>>[>>>>>]<<<<<                   find the highest used slot
[>>>++++++[<++++++++>-]<.           print its digit (plus 48 for the digit character)
 >++++++[<-------->-]<<<<<<<<]      take the 48 off again; move one slot down
<<<<<<<<<                           and back to cell 1
[-]++++++++++.                      newline
