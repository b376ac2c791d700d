DROP TABLE rollup_marks;
