var title = {{ json_encode(title) }};


   var   spaced   =   1;
