// The app's singletons of the meetup and notification stores, on the one realtime client.
import { rt } from './index';
import { GroupMeetupsStore, MeetupStore } from './meetups.svelte';
import { SupportRequestsStore } from './meetupsRequests.svelte';
import { NotificationsStore } from './notifications.svelte';

/** The meetup whose page is open. */
export const meetupPage = new MeetupStore(rt);
/** The meetups of the group whose "Bijeenkomsten" page is open. */
export const groupMeetups = new GroupMeetupsStore(rt);
/** The librarians' support request queue of one library. */
export const supportRequests = new SupportRequestsStore(rt);
/** The signed-in member's notifications (the header bell starts and clears it with the session). */
export const notifications = new NotificationsStore(rt);
