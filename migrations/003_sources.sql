-- Reserved for the sources work; replaced when it lands.
SELECT 1;

---- create above / drop below ----
SELECT 1;
