jitbf --profile: 15463 iterations of 16 loops (-O2)
   share    iterations     entered  where    what   loop
   23.0%          3556         254  76:3     loop   [>>->+<[>-]>[<<[->+>>+<<<]>>>[-<<<+>>>]<…
   23.0%          3556         254  103:9    scan   [<<<<<<]
   19.3%          2984        3556  78:8     loop*  [>-]
   16.8%          2592        3556  82:8     if     [->>>>>>+<<<<<<]
    3.7%           572        3556  78:13    loop*  [<<[->+>>+<<<]>>>[-<<<+>>>]<>>+<<->]
    3.7%           572         572  79:9     if     [->+>>+<<<]
    1.8%           281         254  96:3     loop   [<[-]+>->+---------->+<[++++++++++>-]>[>…
    1.8%           281         254  101:9    scan   [<<<<<]
    1.6%           254           1  73:1     loop   [->>>>>[>>->+<[>-]>[<<[->+>>+<<<]>>>[-<<…
    1.6%           254         281  98:8     loop*  [++++++++++>-]
    1.3%           200         254  86:6     loop*  [[-]>-]
    0.9%           133          54  88:10    scan   [>>>>>]
    0.9%           133          54  89:5     loop*  [>>>++++++[<++++++++>-]<.>++++++[<------…
    0.3%            54         254  86:14    loop   [>>>>>>>>>[>>>>>]<<<<<[>>>++++++[<++++++…
    0.2%            27         281  99:6     loop*  [>>>+<<<->]
  (1 more loops: 14 iterations)
  loop*: first iteration peeled off by the optimizer, counted here
  if: a loop the optimizer made straight code (e.g. a multiply loop); counted: how often it ran
