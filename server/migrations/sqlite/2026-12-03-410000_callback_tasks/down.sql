DROP TABLE callback_tasks;
