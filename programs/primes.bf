PRIMES ::: print the prime numbers below 256

What it does
  Prints 2 then 3 then 5 and so on up to 251; one per line

Input
  None

How it works
  A number n up to 255 that is not prime has a divisor d from 2 to 15
  with n at least twice d (because 16 times 16 is already 256); so we
  only need to know for every n whether one of the fourteen values
  d = 2 to 15 divides it (and n is not d itself)
  No division is done: each d gets a countdown c that reaches zero
  exactly at the multiples of d; n runs from 2 to 255 and every step
  takes one from each countdown; a countdown that reaches zero marks n
  as not prime and is wound back up to d; starting c at 2d minus 1
  makes the first mark land on 2d (so d itself stays prime)

  The fourteen divisors live in six cell records
       m   1 (a marker; the record after the last one has m = 0)
       d   the divisor
       c   its countdown
       t0  t1  helpers for the "is c zero" test
       f   count of marks; it is carried from record to record
  One loop walks over all records; when it stops on the empty record
  the carried f tells whether n was marked; so the walk is short code
  and the place where it stops is always the same (cell 90)

  The "is c zero" idiom: set t0 (right of c) to 1; a loop on c clears t0
  and is left on t0; a loop on t0 then does the work only if c was zero;
  it clears t0 and is left on t1 (zero); both paths step back to c

  n itself is kept as decimal digits (lowest first) in five cell slots
  (m k d t0 t1) from cell 105 on; the same adding and printing code as in
  the wc program: m marks a used slot; k asks a slot to add one; a digit
  that reaches ten becomes zero and passes the request to the next slot

Memory
  cell 0        zero marker left of the first record
  cell 1        how many numbers are still to test (254 for 2 to 255)
  cells 6 to 89 the records for d = 2 to 15
  cells 90 to 95 the empty record; cell 95 gets the final mark count
  cells 96 97   helpers for testing the mark count
  cell 100      zero marker left of the digits of n
  cells 105 on  the digits of n

++++++++++++++++[>++++++++++++++++<-]>--
                                    cell 1 = 16 times 16 minus 2 = 254 (cell 0 counts)

Build the records; cell 10 (t1 of the first record) counts them
>>>>>>                              d of the first record = 2
++
>>>
++++++++++++++                      fourteen records
[                                   for each record (standing on its t1)
  -[->>>>>>+<<<<<<]                 count down and move the count to the next record
  <<<<+                             m = 1
  >[->++>+>>>>+<<<<<<]              d goes to c twice and to t0 and to d of the next record
  >>[-<<+>>]                        move t0 back into d
  <-                                c = 2d minus 1
  >>>>>+                            next d = d plus 1
  >>>                               on to t1 of the next record
]
<<<                                 the empty record got d = 16 which we do not need
[-]
>>>>>>>>>>>>>>                      n starts at 2: mark its lowest digit slot used
+>>++                               and set that digit to 2
<<<<<<<<<<<<<<<<<                   go to the empty record
<<<<<<[<<<<<<]>                     walk back over the records to cell 0; then cell 1

The main loop: once for every n from 2 to 255
[
  -                                 one number less to test
  >>>>>                             go to the first record
  [                                 for each record
    >>-                             count down c
    >+<[>-]>[                       if c reached zero:
      <<[->+>>+<<<]>>>[-<<<+>>>]<   wind c back up to d (t1 as temporary)
      >>+<<                         add a mark to f
      ->]<<
    >>>[->>>>>>+<<<<<<]             carry the marks on to f of the next record
    >                               go to the next record
  ]                                 stops at the empty record (cell 90)
  >>>>>                             the mark count (cell 95)
  >+<[[-]>-]>[                      if there were no marks then n is prime:
    >>>>                            go to the digits of n (cell 100)
    >>>>>[>>>>>]<<<<<               find the highest digit
    [>>>++++++[<++++++++>-]<.       print it (plus 48 makes the character)
     >++++++[<-------->-]<<<<<<<<]  take the 48 away; go one digit down
    >++++++++++.[-]<                print a newline (using cell 101)
    <<<<                            back to cell 96
    ->]<<
  >>>>>                             go to the digits of n (cell 100)
  >>>>>>+                           add one to n: request at the lowest slot
  [<[-]+>-                          while a slot must add one: mark it used
    >+----------                    digit plus one; minus 10 tests for ten
    >+<[++++++++++>-]               not ten: undo the minus 10
    >[>>>+<<<->]                    ten: digit stays 0; pass a request on
    <<>>>>]                         go to the next slot
  <<<<<<[<<<<<]                     walk back to cell 100
  <<<<<<<<<<                        go to the empty record (cell 90)
  <<<<<<[<<<<<<]                    walk back over the records to cell 0
  >                                 cell 1
]
