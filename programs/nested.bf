NESTED ::: nested loop benchmark (counts points in a four level triangle)

What it does
  Runs four nested counting loops
     for i from 1 to 80
       for j from 1 to i
         for k from 1 to j
           for l from 1 to k
  and counts how often the second and third and fourth levels are
  entered; then prints the three counts in decimal; one per line:
     3240       the (i j) pairs;          80 times 81 over 2
     88560      the (i j k) triples;      80 times 81 times 82 over 6
     1837620    the (i j k l) quadruples; 80 times 81 times 82 times 83 over 24
  About 190 million plain Brainfuck commands are executed; so this is a
  benchmark for interpreters and compilers; the output is short and easy
  to check (the closed forms above)

Input
  None

How it works
  Every loop level has a countdown cell and a value cell; a level copies
  the value of the level above into its own countdown (a copy needs a
  scratch cell; cell 7 here) and then runs that many times; the value
  cell of a level goes up once per pass so the next level down knows how
  far to count; it is cleared when the level finishes

  The counts are far too big for a cell so each is kept as a row of
  decimal digits; the lowest digit first; one five cell slot per digit
  (the same scheme as in the wc and primes programs):
       m   1 once the slot is in use (the slot left of the first has m = 0)
       k   "add one here" request
       d   the digit
       t0  t1  helpers for the "did the digit reach ten" test
  Adding one puts a request in the lowest slot; a digit that reaches ten
  becomes zero and passes the request on to the next slot; afterwards a
  loop that steps five cells left over the used markers brings the
  pointer back to the zero marker of the count

  The ten test: take 10 away from the digit; set t0 = 1; a loop on the
  digit undoes the minus 10 and clears t0 (it is left on t0); a loop on
  t0 runs only when the digit was ten; it passes the request on and
  clears t0 and is left on t1; both paths step back to the digit

Memory
  cell 0  countdown for i       cell 4  countdown for k
  cell 1  i                     cell 5  k
  cell 2  countdown for j       cell 6  countdown for l
  cell 3  j                     cell 7  scratch for copying
  cells 8 to 59    the quadruple count (cell 8 is its zero marker)
  cells 60 to 99   the triple count
  cells 100 on     the pair count

>>>>>>>>>>>>>+>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>+>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>+
                                    mark the lowest slot of each count as used
<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    back to cell 0
>++++++++[<++++++++++>-]<           cell 0 = 8 times 10 = 80 (the size)
[                                   i loop
  ->+                               i plus one
  [->+>>>>>+<<<<<<]>>>>>>[-<<<<<<+>>>>>>]<<<<<
                                    countdown for j = i
  [                                 j loop
    ->+                             j plus one
    >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>
                                    go to the pair count
    >>>>>>+                         request one more at the lowest slot
    [<[-]+>-                        while a slot has a request: mark it used
      >+----------                  digit plus one; minus 10 tests for ten
      >+<[++++++++++>-]             not ten: undo the minus 10
      >[>>>+<<<->]                  ten: digit is zero; request at next slot
      <<>>>>]                       go to the next slot
    <<<<<<[<<<<<]                   walk back to the zero marker
    <<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    and come back
    [->+>>>+<<<<]>>>>[-<<<<+>>>>]<<<
                                    countdown for k = j
    [                               k loop
      ->+                           k plus one
      >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>
                                    go to the triple count
      >>>>>>+                       request one more at the lowest slot
      [<[-]+>-                      while a slot has a request: mark it used
        >+----------                digit plus one; minus 10 tests for ten
        >+<[++++++++++>-]           not ten: undo the minus 10
        >[>>>+<<<->]                ten: digit is zero; request at next slot
        <<>>>>]                     go to the next slot
      <<<<<<[<<<<<]                 walk back to the zero marker
      <<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    and come back
      [->+>+<<]>>[-<<+>>]<          countdown for l = k
      [                             l loop
        -                           count down
        >>                          go to the quadruple count
        >>>>>>+                     request one more at the lowest slot
        [<[-]+>-                    while a slot has a request: mark it used
          >+----------              digit plus one; minus 10 tests for ten
          >+<[++++++++++>-]         not ten: undo the minus 10
          >[>>>+<<<->]              ten: digit is zero; request at next slot
          <<>>>>]                   go to the next slot
        <<<<<<[<<<<<]               walk back to the zero marker
        <<                          and come back
      ]
      <<]                           back to the countdown for k
    >[-]                            k loop done: clear k
    <<<]                            back to the countdown for j
  >[-]                              j loop done: clear j
  <<<]                              back to the countdown for i

Print the three counts
>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>
                                    go to the zero marker of the count
>>>>>[>>>>>]<<<<<                   find the highest used slot
[>>>++++++[<++++++++>-]<.           print its digit (plus 48 for the character)
 >++++++[<-------->-]<<<<<<<<]      take the 48 off again; one slot down
>++++++++++.[-]<                    newline (in the k cell of the zero slot)
<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    go to the zero marker of the count
>>>>>[>>>>>]<<<<<                   find the highest used slot
[>>>++++++[<++++++++>-]<.           print its digit (plus 48 for the character)
 >++++++[<-------->-]<<<<<<<<]      take the 48 off again; one slot down
>++++++++++.[-]<                    newline (in the k cell of the zero slot)
<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
                                    go to the zero marker of the count
>>>>>[>>>>>]<<<<<                   find the highest used slot
[>>>++++++[<++++++++>-]<.           print its digit (plus 48 for the character)
 >++++++[<-------->-]<<<<<<<<]      take the 48 off again; one slot down
>++++++++++.[-]<                    newline (in the k cell of the zero slot)
