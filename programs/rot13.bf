ROT13 ::: rotate every letter by 13 places

What it does
  Copies input to output until end of input; A to M become N to Z and
  N to Z become A to M (the same for lower case); every other byte is
  passed through untouched; running the output through again restores
  the original text

Input
  Any text; it stops at end of input (or at a zero byte)

How it works
  For each byte c we must find out which of seven ranges it falls in:

     range            size     change to c
     0 to 64           65          0
     A to M            13        plus 13
     N to Z            13        minus 13
     91 to 96           6          0       (the bytes between Z and a)
     a to m            13        plus 13
     n to z            13        minus 13
     123 and up       rest         0

  A copy x of c is worn down through six "is x smaller than k" tests
  using the range sizes 65 then 13 then 13 then 6 then 13 then 13 for k;
  each test takes up to k away from x; if x runs out during a test then
  c lies in that range and every later test also finds x empty
  So "c is in range i" means exactly "tests i and onward all fired"; we
  give each test a weight that is added to c when it fires and choose
  the weights so that the sum from test i to the last is the right change:

     test k:    65     13     13      6     13     13
     weight:  m13    p26    m13    m13    p26    m13     (m is minus)

  Adding up the weights from test i to the last one gives for i = 1 to 6:
     0   p13   m13   0   p13   m13
  which are exactly the changes for the ranges 0 to 64; A to M; N to Z;
  91 to 96; a to m; n to z (and when no test fires the change is 0)

  One test "x smaller than k" (pointer starts and ends at cell 4):
     cell 4 counts k steps down; each step does
       if x is not zero: take one from x
       else: set the flag in cell 5 to 1

  The "if x then A else B" idiom used for each step needs two helper
  cells right of x: t0 (set to 1 first) and t1 (always 0); in the code
  below it reads: set t0; open a loop on x that does A then clears t0
  and closes on t0 (so it runs at most once); step right; open a loop on
  t0 that does B then clears t0 and closes on t1; step back to x
  Only one of A and B runs and both paths end on t1

Memory
  cell 0  c     the byte read; changed in place and printed
  cell 1  x     working copy of c
  cell 2  t0    helper for the if idiom
  cell 3  t1    helper (always zero)
  cell 4  k     step counter of the current test
  cell 5  flag  set when the current test fired
  cell 6        scratch for building the number 65

,                                   read the first byte into c
[                                   for every byte until the input ends
  [->+>+<<]>>[-<<+>>]<<             copy c into x (via t0 as a temporary)

  >>>>                              go to k (cell 4)

  test 1: k = 65 (5 times 13 built in cell 6) and weight minus 13
  >>+++++[<<+++++++++++++>>-]<<
  [-<<<  >+<[->-]>[>>>[-]+<<<->]<<  >>>]
  >[-<<<<< ------------- >>>>>]<

  test 2: k = 13 and weight plus 26
  +++++++++++++
  [-<<<  >+<[->-]>[>>>[-]+<<<->]<<  >>>]
  >[-<<<<< ++++++++++++++++++++++++++ >>>>>]<

  test 3: k = 13 and weight minus 13
  +++++++++++++
  [-<<<  >+<[->-]>[>>>[-]+<<<->]<<  >>>]
  >[-<<<<< ------------- >>>>>]<

  test 4: k = 6 and weight minus 13
  ++++++
  [-<<<  >+<[->-]>[>>>[-]+<<<->]<<  >>>]
  >[-<<<<< ------------- >>>>>]<

  test 5: k = 13 and weight plus 26
  +++++++++++++
  [-<<<  >+<[->-]>[>>>[-]+<<<->]<<  >>>]
  >[-<<<<< ++++++++++++++++++++++++++ >>>>>]<

  test 6: k = 13 and weight minus 13
  +++++++++++++
  [-<<<  >+<[->-]>[>>>[-]+<<<->]<<  >>>]
  >[-<<<<< ------------- >>>>>]<

  <<<[-]                            clear what is left of x
  <.                                print the rotated c
  [-],                              clear c and read the next byte
]
