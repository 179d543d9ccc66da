jitbf --profile: 15463 iterations of 16 loops (-O2)
   share    iterations     entered  where    what   loop
   53.0%          3556         254  76:3     loop   [>>->+<[>-]>[<<[->+>>+<<<]>>>[-<<<+>>>]<…
    9.9%          2984        3556  78:8     loop*  [>-]
    8.6%          2592        3556  82:8     if     [->>>>>>+<<<<<<]
    5.9%          3556         254  103:9    scan   [<<<<<<]
    5.7%           572        3556  78:13    loop*  [<<[->+>>+<<<]>>>[-<<<+>>>]<>>+<<->]
    5.0%           254           1  73:1     loop   [->>>>>[>>->+<[>-]>[<<[->+>>+<<<]>>>[-<<…
    4.7%           281         254  96:3     loop   [<[-]+>->+---------->+<[++++++++++>-]>[>…
    1.9%           572         572  79:9     if     [->+>>+<<<]
    1.5%           133          54  89:5     loop*  [>>>++++++[<++++++++>-]<.>++++++[<------…
    1.3%           254         281  98:8     loop*  [++++++++++>-]
    1.0%           200         254  86:6     loop*  [[-]>-]
    0.8%            54         254  86:14    loop   [>>>>>>>>>[>>>>>]<<<<<[>>>++++++[<++++++…
    0.5%           281         254  101:9    scan   [<<<<<]
    0.2%           133          54  88:10    scan   [>>>>>]
    0.1%            27         281  99:6     loop*  [>>>+<<<->]
  (1 more loops: 14 iterations)
  share: of the IR instructions executed in loops, each counted in its innermost loop
  loop*: first iteration peeled off by the optimizer, counted here
  if: a loop the optimizer made straight code (e.g. a multiply loop); counted: how often it ran
