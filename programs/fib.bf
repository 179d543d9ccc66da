FIB ::: print the Fibonacci numbers F(0) to F(100)

What it does
  Prints 0 then 1 then 1 then 2 then 3 then 5 and so on; each number is
  the sum of the two before it; one per line; 101 lines in all; the
  last one (F(100)) has 21 digits; far too big for any single cell

Input
  None

How it works
  Both numbers a and b are kept as rows of decimal digits; the lowest
  digit first; one seven cell slot per digit position:
       m   1 if the slot is in use (the slot left of the first has m = 0)
       a   digit of a
       t0  t1  helpers for the "is a digit ten" test
       b   digit of b
       cy  carry coming in from the slot to the left
       x   how many times the a digit still has to go up

  Each step does  a = a plus b  then swaps a and b; so b is always the
  newest number and a the one before it; then b is printed
  Adding works slot by slot: the a digit goes up one at a time (b plus
  carry times); whenever it reaches ten it drops to zero and the next
  slot gets a carry and is marked as in use (that is how the numbers
  grow longer); since at most ten is added to a digit of at most nine
  there is at most one carry per slot

  The walks over the digits use the m markers: a loop that moves seven
  cells right stops after the last used slot; a loop that moves seven
  cells left stops at the zero marker in cell 1; so the pointer always
  gets back home however long the numbers have become

  The "is it ten" test takes 10 away from the digit then uses the idiom:
  t0 = 1; a loop on the digit undoes the minus 10 and clears t0 and is
  left on t0; a loop on t0 (which only runs if the digit was ten and so
  is now zero) handles the carry; it clears t0 and ends on t1; both
  paths step back to the digit

Memory
  cell 0        numbers still to make
  cell 1        zero marker left of the first slot
  cells 2 3     scratch
  cells 8 to 14 the lowest digit slot; then 15 to 21 and so on

>+++++++++[<+++++++++++>-]          cell 0 = 9 times 11 = 99 (cell 1 counts)
>>++++++[<++++++++>-]<.             print the digit 0 (cell 2 = 48)
[-]++++++++++.[-]                   and a newline; F(0) = 0
>>>>>>+                             m of the lowest slot (cell 8) = 1
>>>>+                               its b digit = 1 (so a = 0 and b = 1)
<<<<<<<<<<<                         back to cell 1

Print b (used here for F(1) and again inside the main loop)
>>>>>>>[>>>>>>>]<<<<<<<             go to the highest used slot
[>>>>>++++++[<++++++++>-]<.>++++++[<-------->-]<
                                    print its b digit (cy helps)
 <<<<<<<<<<<]                       and move one slot down until cell 1
>++++++++++.[-]<                    newline (cell 2)
<                                   cell 0

The main loop makes F(2) to F(100)
[
  ->                                one number less; go to cell 1
  >>>>>>>                           first slot
  [                                 add: for each used slot
    >>>>[->>+<<<<+>>]               b goes to x and t0
    <<[->>+<<]                      t0 goes back to b
    >>>[->+<]                       the carry goes to x too
    >[                              x times:
      -<<<<<+                       a digit plus one
      ---------->+<[++++++++++>-]   not ten: undo the minus 10
      >[                            ten (the digit is now zero):
        >>>>>>>>>>+                 carry into the next slot
        <<<<<[-]+                   mark the next slot as used
        <<<<<->]
      <<>>>>>]                      back to x
    >                               next slot
  ]
  <<<<<<<[<<<<<<<]                  back to cell 1
  >>>>>>>                           first slot
  [                                 swap a and b in every used slot
    >[->+<]                         a to t0
    >>>[-<<<+>>>]                   b to a
    <<[->>+<<]                      t0 to b
    <<>>>>>>>                       next slot
  ]
  <<<<<<<[<<<<<<<]                  back to cell 1
  >>>>>>>[>>>>>>>]<<<<<<<           go to the highest used slot
  [>>>>>++++++[<++++++++>-]<.>++++++[<-------->-]<
                                    print its b digit (cy helps)
   <<<<<<<<<<<]                     and move one slot down until cell 1
  >++++++++++.[-]<                  newline (cell 2)
  <                                 cell 0
]
