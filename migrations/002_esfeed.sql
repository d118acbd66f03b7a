-- Reserved for the esfeed work; replaced when it lands.
SELECT 1;

---- create above / drop below ----
SELECT 1;
